// The playground's messages between the page and its worker (typed; buffers are transferred).

import type { nn } from "rnnkit";
import type { LayerTrace } from "../common/layers.js";

export type { LayerTrace };

export interface TensorRow {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
}

export type InputSpec =
  | { readonly kind: "random"; readonly seed: number; readonly length: number; readonly batch: number }
  | { readonly kind: "npy"; readonly name: string; readonly bytes: ArrayBuffer };

export type Request =
  | { readonly type: "load"; readonly id: number; readonly name: string; readonly bytes: ArrayBuffer }
  | {
      readonly type: "run";
      readonly id: number;
      /** The module's key prefix ("" for a bare state dict). */
      readonly prefix: string;
      readonly nonlinearity: "tanh" | "relu" | undefined;
      readonly batchFirst: boolean;
      /** The Lengths field as typed ("" for none); parsed in the worker with the same rule as the CLI. */
      readonly lengths: string;
      readonly input: InputSpec;
    };

export interface Download {
  readonly name: "output.npy" | "h_n.npy" | "c_n.npy";
  readonly shape: readonly number[];
  readonly bytes: ArrayBuffer;
}

export type Reply =
  | {
      readonly type: "loaded";
      readonly id: number;
      readonly name: string;
      readonly format: string;
      readonly tensors: readonly TensorRow[];
      /** Every recurrent module found (one per prefix); empty when none. */
      readonly modules: readonly (nn.InferredRecurrent & { readonly dtype: string })[];
      /** Why no module could be inferred, when none. */
      readonly problem: string | null;
    }
  | {
      readonly type: "result";
      readonly id: number;
      readonly downloads: readonly Download[];
      readonly kind: nn.RecurrentKind;
      readonly traces: readonly LayerTrace[];
      /** Sequence lengths per batch entry (all L when not packed). */
      readonly lengths: readonly number[];
      readonly inputShape: readonly number[];
      readonly notes: readonly string[];
      readonly kernels: string;
      readonly threads: number;
      readonly ms: number;
    }
  | { readonly type: "error"; readonly id: number; readonly message: string };
