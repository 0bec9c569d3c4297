"""The one exception the data layer raises."""


class DataError(Exception):
    """Data is missing, corrupt or unreadable; the message names the file and says what to do."""
