"""In-app notifications per person, and reminders to late parties."""
