"""Services racing each other on PostgreSQL: every pair of the money services on one return
(test_service_pairs.py), and eight processes calling them at random on shared orders
(test_processes.py, worker.py). The operations they call are in operations.py."""
