/**
 * 68-point face landmarks (face-api, offline, on the project's tfjs backend) and what is computed from
 * them: landmark distance (LMD, named after its detector in reports) and mouth opening.
 * @module
 */
export * from "./points.ts";
export * from "./faceapi.ts";
export * from "./detector.ts";
export * from "./lmd.ts";
export * from "./mouth.ts";
export * from "./eye.ts";
