"""The command line: parsing, printing and exit codes; no protocol knowledge."""
