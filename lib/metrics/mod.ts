/**
 * Image metrics on plain typed arrays: PSNR (per frame, capped, masked, mean over frames), SSIM (Wang
 * 2004 and scikit-image variants), CPBD sharpness (with the Canny detector it needs), parsing IoU / mIoU,
 * tables of results (text, Markdown, JSON), LPIPS (user-supplied weights), the lip-sync substitutes
 * LA-Sync and SS-Sync (SyncNet's offset protocol, never SyncNet's numbers), and the evaluation of a
 * generated clip against its ground truth. Landmark distance (LMD) lives in `lib/landmarks`.
 * @module
 */
export * from "./image.ts";
export * from "./psnr.ts";
export * from "./ssim.ts";
export * from "./canny.ts";
export * from "./cpbd.ts";
export * from "./miou.ts";
export * from "./report.ts";
export * from "./sync_offsets.ts";
export * from "./sync_landmark.ts";
export * from "./sync_mouth_crop.ts";
export * from "./sync_net.ts";
export * from "./sync_net_file.ts";
export {
  audioWindows,
  type FrameRange,
  SS_SYNC_DEFAULTS,
  type SsSyncConfig,
  stepsPerFrame,
  type SyncClip,
  type SyncWindows,
  videoWindows,
} from "./sync_windows.ts";
export * from "./sync_net_train.ts";
export * from "./lpips.ts";
export * from "./eval_frames.ts";
export * from "./eval.ts";
export * from "./distortions.ts";
export * from "./ablation_results.ts";
export * from "./protocols.ts";
export * from "./junction.ts";
export * from "./error_budget.ts";
