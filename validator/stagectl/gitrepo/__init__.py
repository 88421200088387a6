"""Git on the side: plumbing, what a check compares and reads, and what history says about stages."""
