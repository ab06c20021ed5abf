/**
 * The audio front end and encoder of AD-NeRF, with no pretrained model: python_speech_features-style
 * MFCC / log-mel features, per-video-frame windows [N, 16, D], and the AudioNet / AudioAttNet encoders.
 * @module
 */
export * from "./fft.ts";
export * from "./mel.ts";
export * from "./features.ts";
export * from "./windows.ts";
export * from "./audionet.ts";
export * from "./audioattnet.ts";
