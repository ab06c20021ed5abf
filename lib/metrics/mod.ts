/**
 * Image metrics on plain typed arrays: PSNR (per frame, capped, masked, mean over frames), SSIM (Wang
 * 2004 and scikit-image variants), CPBD sharpness (with the Canny detector it needs), parsing IoU / mIoU,
 * and tables of results (text, Markdown, JSON). Landmark distance (LMD) lives in `lib/landmarks`.
 * @module
 */
export * from "./image.ts";
export * from "./psnr.ts";
export * from "./ssim.ts";
export * from "./canny.ts";
export * from "./cpbd.ts";
export * from "./miou.ts";
export * from "./report.ts";
