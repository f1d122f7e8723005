"""Training jobs: a folder per job, a worker process per job, and the server's view of both.

``config.py`` is what a job is asked to do; ``folder.py`` the on-disk layout (the whole interface
between server and worker); ``worker.py`` the process that trains; ``backend.py`` how a worker is
started, watched and stopped; ``feed.py`` one tail per job fanned out to listeners; ``manager.py``
ties them together for the web app; ``weights.py`` reads checkpoints back for the run API.
"""
