"""What each page shows, computed without Streamlit: one module per page of `pages/`, each with one
function that returns a dataclass holding everything the page draws. The page file only renders it;
the tests and `bench/` call the same functions, so neither can miss a query a page runs."""
