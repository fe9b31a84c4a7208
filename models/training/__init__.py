"""Training, fine-tuning, evaluation and the readers of the labelled data (``../shared``).

Nothing here runs in the pipeline: the runtime classes (encoder, sentiment, complaint,
topics) live in ``models/`` and only read the artifacts these commands write.
"""
