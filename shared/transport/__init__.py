"""HTTP plumbing shared by the SMS client and webhook delivery: one retry policy and a deadline that bounds
a whole call (connect, headers and body), with capped bodies."""
