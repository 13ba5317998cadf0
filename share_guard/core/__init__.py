"""The Qt-free core of share_guard: functions in, dataclasses out."""

import os as _os

# OpenCV must never decode untrusted files (images are decoded with Pillow under limits);
# should anything reach cv2's decoders anyway, cap the pixels they accept. Set here so it
# holds before any core module imports cv2 (cv2 reads it when it loads).
_os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(2**26))
