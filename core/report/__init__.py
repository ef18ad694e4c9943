"""What a person reads about a run: plain-words labels and sentences (`words`), the charts the dashboard and
the report share (`charts`), and the self-contained HTML report (`html`, pure; `service` loads it from the
store). No Streamlit here: the dashboard and `python -m core report` draw the same figures."""
