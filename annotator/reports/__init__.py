"""Reports computed from stored or exported annotations, rendered for the terminal or as JSON."""
