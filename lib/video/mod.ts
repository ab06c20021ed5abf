/**
 * Whole-video tools: pasting rendered crops back into the source video the dataset was cut from.
 *
 * ```ts ignore
 * import { readSourceRecord } from "../preprocess/mod.ts";
 * import { renderPasteBack } from "./mod.ts";
 * const record = await readSourceRecord("data/me");
 * await renderPasteBack(renderedCrops, "talk.mp4", record, { out: "pasted.mp4", audio: "new.wav" });
 * ```
 * @module
 */
export * from "./paste_back.ts";
