/**
 * The synthetic talking-portrait generator: a procedural head, neck and torso rendered by ray casting,
 * driven by speech, with exact ground truth (parsing, landmarks, poses, mouth opening).
 * @module
 */
export * from "./rigid.ts";
export * from "./motion.ts";
export * from "./mouth.ts";
export * from "./scene.ts";
export * from "./geometry.ts";
export * from "./body.ts";
export * from "./cast.ts";
export * from "./shading.ts";
export * from "./landmarks.ts";
export * from "./render.ts";
export * from "./speech.ts";
export * from "./dataset.ts";
export * from "./predictability.ts";
export * from "./blink.ts";
