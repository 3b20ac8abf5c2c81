"""The dispatcher: claims due work from the database and sends it, from any number of workers."""
