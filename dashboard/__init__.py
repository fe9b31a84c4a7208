"""The Streamlit dashboard (run with `cxradar dashboard`)."""
