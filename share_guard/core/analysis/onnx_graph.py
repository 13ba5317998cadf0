"""Two edits to an ONNX model's graph, done on the protobuf wire format.

The CenterFace export we ship declares its input as a fixed 10x3x32x32 batch and
lists every weight as a graph input too. onnxruntime refuses any other input size
for fixed dimensions (``add_free_dimension_override_by_name`` only pins dimensions
that are already symbolic, the opposite of what we need), and weights listed as
inputs are treated as overridable, so it cannot fold the batch norms into the
convolutions (2-3x slower). The ``onnx`` package (31 MB) would be needed for
nothing but these two edits, so they are written here: ONNX files are plain
protobuf, and only three message types on one path are touched
(ModelProto.graph -> GraphProto.input/output -> ValueInfoProto ... dim).

Field numbers are from onnx/onnx.proto (stable since IR version 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from share_guard.core.i18n import N_, message

# ModelProto
_GRAPH = 7
# GraphProto
_INITIALIZER, _INPUT, _OUTPUT = 5, 11, 12
# TensorProto
_TENSOR_NAME = 8
# ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto, Dimension
_VI_NAME, _VI_TYPE = 1, 2
_TENSOR_TYPE = 1
_SHAPE = 2
_DIM = 1
_DIM_VALUE, _DIM_PARAM = 1, 2

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5

Buf = bytes | memoryview


class GraphFormatError(ValueError):
    """The bytes are not a protobuf message of the shape we edit."""


def _varint(buf: Buf, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise GraphFormatError(N_("truncated or overlong varint"))
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _enc_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _fields(data: Buf) -> Iterator[tuple[int, int, memoryview, memoryview]]:
    """(field number, wire type, the field's whole encoding, its payload) in order, as views
    of ``data`` (the 7 MB of weights are not copied while the graph is walked)."""
    buf = memoryview(data)
    pos = 0
    while pos < len(buf):
        start = pos
        key, pos = _varint(buf, pos)
        number, wtype = key >> 3, key & 7
        if wtype == _VARINT:
            _, pos = _varint(buf, pos)
            payload = buf[start:pos]
        elif wtype == _I64:
            pos += 8
            payload = buf[pos - 8 : pos]
        elif wtype == _I32:
            pos += 4
            payload = buf[pos - 4 : pos]
        elif wtype == _LEN:
            size, pos = _varint(buf, pos)
            payload = buf[pos : pos + size]
            pos += size
        else:
            raise GraphFormatError(message(N_("unsupported protobuf wire type {wtype}"), wtype=wtype))
        if pos > len(buf):
            raise GraphFormatError(N_("truncated protobuf field"))
        yield number, wtype, buf[start:pos], payload


def _len_field(number: int, payload: Buf) -> bytes:
    return _enc_varint(number << 3 | _LEN) + _enc_varint(len(payload)) + payload


def _rewrite(buf: Buf, edits: Mapping[int, Callable[[memoryview], Buf | None]]) -> bytes:
    """``buf`` with each length-delimited field in ``edits`` replaced (None drops it)."""
    out = bytearray()
    for number, wtype, whole, payload in _fields(buf):
        edit = edits.get(number) if wtype == _LEN else None
        if edit is None:
            out += whole
            continue
        new = edit(payload)
        if new is not None:
            out += _len_field(number, new)
    return bytes(out)


def _string(buf: Buf, number: int) -> str | None:
    for n, wtype, _, payload in _fields(buf):
        if n == number and wtype == _LEN:
            return bytes(payload).decode("utf-8", "replace")
    return None


def _free_dims(value_info: Buf, names: Mapping[int, str]) -> bytes:
    """The ValueInfoProto with the dimensions at the axes in ``names`` made symbolic."""
    axis = -1

    def dim(payload: memoryview) -> Buf:
        nonlocal axis
        axis += 1
        if axis not in names:
            return payload
        return _len_field(_DIM_PARAM, names[axis].encode())

    shape = lambda p: _rewrite(p, {_DIM: dim})  # noqa: E731
    tensor = lambda p: _rewrite(p, {_SHAPE: shape})  # noqa: E731
    type_ = lambda p: _rewrite(p, {_TENSOR_TYPE: tensor})  # noqa: E731
    return _rewrite(value_info, {_VI_TYPE: type_})


def prepare_model(model: bytes, free: Mapping[str, Mapping[int, str]]) -> bytes:
    """The model with weights removed from the graph inputs and, for each input or
    output named in ``free``, the given axes turned into named (free) dimensions."""
    found: set[str] = set()

    def graph(payload: memoryview) -> bytes:
        weights = {_string(p, _TENSOR_NAME) for n, w, _, p in _fields(payload)
                   if n == _INITIALIZER and w == _LEN}

        def value_info(p: memoryview, is_input: bool) -> Buf | None:
            name = _string(p, _VI_NAME)
            if is_input and name in weights:
                return None
            if name is not None and name in free:
                found.add(name)
                return _free_dims(p, free[name])
            return p

        return _rewrite(payload, {_INPUT: lambda p: value_info(p, True),
                                  _OUTPUT: lambda p: value_info(p, False)})

    out = _rewrite(model, {_GRAPH: graph})
    missing = set(free) - found
    if missing:
        raise GraphFormatError(message(N_("the model has no input or output named {sorted}"),
                                       sorted=sorted(missing)))
    return out
