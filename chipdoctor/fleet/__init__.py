"""`chipdoctor fleet`: many nodes' reports judged together, because one node with another
driver, toolkit or collective library hangs a distributed job at its first collective."""
