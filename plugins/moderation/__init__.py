"""Idea moderation: every new idea starts as pending, and moderators review them in a queue."""
