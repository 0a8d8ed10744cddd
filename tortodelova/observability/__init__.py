"""Operations plumbing shared by the web processes and the workers: Prometheus metrics (`metrics`) and structured
logs with a request id that travels from the edge into the job (`logs`). Infrastructure: imports nothing of ours."""
