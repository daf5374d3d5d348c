"""What several test modules share: builders and runners that are not tests themselves."""
