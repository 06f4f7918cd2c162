"""Reading and writing NWB files in the Rutishauser lab's DANDI conventions."""
