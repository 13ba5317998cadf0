"""The Qt-free core of share_guard: functions in, dataclasses out."""
