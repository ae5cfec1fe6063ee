"""pgsvc's side-by-side benchmark against PostgreSQL 15 (`make bench`, `make bench-quick`).

Not part of the server: a harness that starts a throwaway pgsvc cluster and a throwaway
PostgreSQL 15 cluster on loopback, runs the same workloads against both alternately
(A B A B, so drift cancels), and writes bench/results/LATEST.md and LATEST.png.
See bench/README.md for how to read the results.
"""
