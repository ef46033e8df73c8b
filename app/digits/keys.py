"""Widget and container keys, defined once. Pattern: ``<page>_<thing>``.

Tests (AppTest and Playwright's ``.st-key-<key>``) use these same names.
"""

# Draw-a-digit page: input
DIGITS_SOURCE = "digits_source"
DIGITS_CANVAS = "digits_canvas"
DIGITS_PEN = "digits_pen_width"
DIGITS_UPLOAD = "digits_upload"
DIGITS_EXAMPLE_CLASS = "digits_example_class"
DIGITS_EXAMPLE_NEXT = "digits_example_next"
DIGITS_EXAMPLE_INDEX = "digits_example_index"
DIGITS_NAIVE = "digits_show_naive"
DIGITS_STEPS = "digits_steps"  # the "preprocessing step by step" expander (open or not, in the URL)
DIGITS_TAB = "digits_tab"  # which tab is open (in the URL)
DIGITS_MODEL_CHOICE = "digits_model_choice"
# Draw-a-digit page: output containers
DIGITS_GUESS_BOX = "digits_guesses"
DIGITS_SEES_BOX = "digits_network_sees"
DIGITS_LAYERS_BOX = "digits_layers"
DIGITS_UNIT_BOX = "digits_unit"
DIGITS_NETWORK_BOX = "digits_network"
DIGITS_SALIENCY_BOX = "digits_saliency_box"
DIGITS_TRAIN_BOX = "digits_train"
# Layers
DIGITS_LAYER_TOGGLE = "digits_show_{layer}"
DIGITS_COLOR_RANGE = "digits_color_range"
DIGITS_UNIT_LAYER = "digits_unit_layer"
DIGITS_UNIT_CHANNEL = "digits_unit_channel"
DIGITS_UNIT_ROW = "digits_unit_row"
DIGITS_UNIT_COL = "digits_unit_col"
DIGITS_UNIT_INDEX = "digits_unit_index"
DIGITS_SALIENCY = "digits_show_saliency"
DIGITS_SALIENCY_TARGET = "digits_saliency_target"
# Train your own
DIGITS_TRAIN_CONV1 = "digits_train_conv1"
DIGITS_TRAIN_CONV2 = "digits_train_conv2"
DIGITS_TRAIN_KERNEL = "digits_train_kernel"
DIGITS_TRAIN_FC = "digits_train_fc"
DIGITS_TRAIN_ACTIVATION = "digits_train_activation"
DIGITS_TRAIN_EPOCHS = "digits_train_epochs"
DIGITS_TRAIN_LR = "digits_train_lr"
DIGITS_TRAIN_BATCH = "digits_train_batch"
DIGITS_TRAIN_AUGMENT = "digits_train_augment"
DIGITS_TRAIN_PEN_STYLE = "digits_train_pen_style"
DIGITS_TRAIN = "digits_train"  # prefix of the live controls (app/live.py): Play, Pause, Step, Reset, Speed
DIGITS_TRAIN_PLAY = "digits_train_play"
DIGITS_TRAIN_PAUSE = "digits_train_pause"
DIGITS_TRAIN_STEP = "digits_train_step"
DIGITS_TRAIN_RESET = "digits_train_reset"
DIGITS_TRAIN_SPEED = "digits_train_speed"
DIGITS_TRAIN_RUN = "digits_train_live_run"  # session-state slot of the LiveRun
DIGITS_TRAIN_FINISH = "digits_train_finish"
DIGITS_TRAIN_USE_SHIPPED = "digits_train_use_shipped"
# Session-state slots (not widgets)
DIGITS_USER_MODEL = "digits_state_user_model"
DIGITS_PENDING_CHOICE = "digits_state_pending_choice"
DIGITS_USER_REPORT = "digits_state_user_report"
