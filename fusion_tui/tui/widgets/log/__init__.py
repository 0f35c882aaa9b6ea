"""The log screen: its viewer for logs of any size."""
