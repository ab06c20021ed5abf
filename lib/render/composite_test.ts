import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { type Layer, over, premultiply } from "./composite.ts";

/** Head over (torso over background): the image-space torso's compositing, as the renderer does it. */
function compositeTorso2d(
  head: { readonly rgb: tf.Tensor2D; readonly accumulation: tf.Tensor1D },
  torso: { readonly rgb: tf.Tensor2D; readonly alpha: tf.Tensor1D },
  background: tf.Tensor2D,
): tf.Tensor2D {
  return tf.tidy(() => {
    const behind: Layer = over(premultiply(torso.rgb, torso.alpha), { rgb: background });
    return over({ rgb: head.rgb, alpha: head.accumulation }, behind).rgb;
  });
}

await initBackend({ log: null });

Deno.test("over: head over torso over background, hand-derived", async () => {
  const head = {
    rgb: tf.tensor2d([[0.2, 0.1, 0], [0, 0, 0], [0.9, 0.8, 0.7], [0.3, 0.3, 0.3]]),
    accumulation: tf.tensor1d([0.25, 0, 1, 0.5]),
  };
  const torso = {
    rgb: tf.tensor2d([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.5, 0.5, 0.5]]),
    alpha: tf.tensor1d([0.4, 0, 0.7, 1]),
  };
  const bg = tf.tensor2d([[0, 0, 1], [0.2, 0.4, 0.6], [1, 1, 1], [1, 0, 0]]);
  // Ray 0: 0.2 + 0.75 (0.4 * 1 + 0.6 * 0) = 0.5; 0.1 + 0.75 (0 + 0) = 0.1; 0 + 0.75 (0 + 0.6 * 1) = 0.45.
  // Ray 1: no head, no torso: the background.  Ray 2: opaque head: the head alone.
  // Ray 3: 0.3 + 0.5 * 0.5 = 0.55 in every channel (opaque torso hides the red background).
  const want = [0.5, 0.1, 0.45, 0.2, 0.4, 0.6, 0.9, 0.8, 0.7, 0.55, 0.55, 0.55];
  const got = compositeTorso2d(head, torso, bg);
  got.dataSync().forEach((v, i) => assertAlmostEquals(v, want[i], 1e-6));
  await assertNoLeak(() => compositeTorso2d(head, torso, bg), "compositeTorso2d");
  // The gradient w.r.t. the torso alpha is (1 - acc) (torso - bg) summed over channels.
  const ga = tf.grad((a: tf.Tensor) =>
    tf.sum(compositeTorso2d(head, { rgb: torso.rgb, alpha: a as tf.Tensor1D }, bg))
  )(
    torso.alpha,
  ).dataSync();
  [0.75 * (1 - 0 + 0 - 0 + 0 - 1), 1 * (-0.2 + 0.6 - 0.6), 0, 0.5 * (-0.5 + 0.5 + 0.5)]
    .forEach((v, i) => assertAlmostEquals(ga[i], v, 1e-6));
  assertThrows(() => compositeTorso2d(head, torso, tf.zeros([3, 3]) as tf.Tensor2D), Error, "behind rgb");
  assertThrows(
    () =>
      compositeTorso2d(
        { rgb: head.rgb, accumulation: tf.zeros([4, 1]) as unknown as tf.Tensor1D },
        torso,
        bg,
      ),
    Error,
    "front alpha",
  );
  tf.dispose([head, torso, bg, got]);
});
