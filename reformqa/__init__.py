"""ReformQA: offline QA with citations over Vietnamese administrative-reform documents."""

__version__ = "0.1.0"
