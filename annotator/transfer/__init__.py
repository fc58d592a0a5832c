"""The import and export services behind the ``import`` and ``export`` commands: above the store
and the formats, beside ``review`` and ``feed``. ``importing`` stores a file's records as an
annotator's work; ``exporting`` writes a dataset through a format's writer."""
