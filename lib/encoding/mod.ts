/**
 * Input encodings of the radiance field: NeRF's frequency encoding (tfjs op and plain-JS twin).
 * @module
 */
export {
  encodedDim,
  positionalEncoding,
  positionalEncodingJs,
  positionalEncodingOf,
  type PositionalEncodingOptions,
} from "./positional_encoding.ts";
