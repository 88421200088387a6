"""GitHub: what an Actions event names, its REST API (reviews), CODEOWNERS and the approval rule."""
