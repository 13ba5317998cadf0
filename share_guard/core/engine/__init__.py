"""The engine: the core as one object, composed once from a feature set.

``compose`` builds it (:func:`~.compose.build_engine` from :class:`~.compose.Features`:
which analyzers, which policy, which runner); ``engine`` is the object both front ends
drive (inspect, assess, export); ``verdict`` holds the export rules as one pure function
(ready / needs rebuild / blocked, why, and what consent must mention).
"""
