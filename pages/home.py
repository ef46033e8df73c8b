"""Home: what ML Playground is, and the playgrounds that exist."""

import streamlit as st

from app.paths import page_file

st.title("🧪 ML Playground")
st.markdown(
    "Interactive deep-learning demos that train and run **live** in your browser session. "
    "Change something, and the model reacts: no notebooks, no set-up."
)
with st.container(key="home_playgrounds", border=True):
    st.subheader("✏️ Draw a digit")
    st.markdown(
        "Draw a digit with the mouse or a finger and watch a convolutional network read it: the 28×28 image it "
        "really sees, every layer's activations, the arithmetic of any unit, and which pixels decided the answer. "
        "Then train your own network in seconds and compare."
    )
    st.page_link(page_file("digits"), label="Open the digit playground", icon="➡️")
with st.container(key="home_playground", border=True):
    st.subheader("🧭 Decision boundaries")
    st.markdown(
        "Everything TensorFlow Playground does, trained live in Python: pick a dataset, choose the input "
        "features, add layers and neurons, and watch every neuron's picture of the input space and the decision "
        "boundary form. Compare two networks side by side, draw your own data, export what you trained."
    )
    st.page_link(page_file("playground"), label="Open the decision-boundary playground", icon="➡️")
with st.container(key="home_boosting", border=True):
    st.subheader("🌲 Gradient boosting")
    st.markdown(
        "Watch XGBoost build an ensemble tree by tree on a two-class picture: each tree's own decision function, "
        "the sum so far, the gradients it fitted, and the tree itself. Gradient step, Newton leaves and true "
        "second-order boosting side by side, with challenges that check themselves."
    )
    st.page_link(page_file("boosting"), label="Open the gradient-boosting playground", icon="➡️")
with st.container(key="home_moe", border=True):
    st.subheader("🔀 Mixture of experts")
    st.markdown(
        "Train a small mixture-of-experts model live and watch its router decide which expert takes which input. "
        "See plain top-1 routing collapse onto a few experts, and how load balancing, expert choice and capacity "
        "limits change that; total against active parameters, side by side with dense models."
    )
    st.page_link(page_file("moe"), label="Open the mixture-of-experts explorer", icon="➡️")
with st.container(key="home_tabular", border=True):
    st.subheader("📊 XGBoost on real data")
    st.markdown(
        "The next step after the toy pictures: a real table (Bank Marketing's \"will this client subscribe?\", the "
        "digits as 784 pixel columns, or your own CSV), boosted live with early stopping, explained with SHAP, "
        "searched with Optuna, run on Spark, scored once on the test rows and exported."
    )
    st.page_link(page_file("tabular"), label="Open XGBoost on real data", icon="➡️")
