"""Zoom: a personal join link for every registrant, kept in sync, attendance back from Zoom."""
