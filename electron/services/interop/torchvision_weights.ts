// Fieldwork checkpoint parameters ↔ the state dict of the torchvision MaskRCNN that
// resources/interop/torchvision/fieldwork_model.py builds for the same run config. Layouts:
//   conv      ours [k, k, in, out]            torch [out, in, k, k]
//   deconv    ours [k, k, out, in] (tfjs)     torch ConvTranspose2d [in, out, k, k]
//   fc        ours [in, out]                  torch Linear [out, in]; the first fc after a pooled
//             map reads it as H·W·C (NHWC) where torch flattens C·H·W
//   GN        gamma / beta                    weight / bias
//   predictors ours K classes                 torch K + 1 (background first; its rows are zero going
//             out and dropped coming back — torchvision never trains them)
import type { RunConfig } from '../../../trainer/common/config.ts';
import { UserError } from '../errors.ts';
import type { NamedTensor } from './safetensors.ts';

type Kind = 'conv' | 'deconv' | 'fc' | 'fcFlat' | 'vector' | 'boxPredW' | 'boxPredB' | 'maskPredW' | 'maskPredB';

interface KeyMap {
  key: string;
  kind: Kind;
}

/** The torchvision key and layout of one Fieldwork parameter (throws for a name it does not know). */
export function torchvisionKey(name: string, config: RunConfig): KeyMap {
  const convs = config.roi.boxHeadConvs;
  const unit = (prefix: string, rest: string): KeyMap => {
    if (rest === 'w') return { key: `${prefix}.0.weight`, kind: 'conv' };
    if (rest === 'gn.gamma') return { key: `${prefix}.1.weight`, kind: 'vector' };
    if (rest === 'gn.beta') return { key: `${prefix}.1.bias`, kind: 'vector' };
    throw new Error(`Error in torchvisionKey: unknown parameter ${name}`);
  };
  let m: RegExpMatchArray | null;
  if ((m = name.match(/^backbone\.stem\.(.+)$/))) return unit('backbone.stem', m[1]);
  if ((m = name.match(/^backbone\.res(\d)\.(\d+)\.conv(\d)\.(.+)$/))) return unit(`backbone.stages.${+m[1] - 2}.${m[2]}.convs.${+m[3] - 1}`, m[4]);
  if ((m = name.match(/^backbone\.res(\d)\.(\d+)\.shortcut\.(.+)$/))) return unit(`backbone.stages.${+m[1] - 2}.${m[2]}.shortcut`, m[3]);
  if ((m = name.match(/^fpn\.lateral(\d)\.(.+)$/))) return unit(`backbone.fpn.inner_blocks.${+m[1] - 2}`, m[2]);
  if ((m = name.match(/^fpn\.output(\d)\.(.+)$/))) return unit(`backbone.fpn.layer_blocks.${+m[1] - 2}`, m[2]);
  const wb = (prefix: string, rest: string, wKind: Kind, bKind: Kind = 'vector'): KeyMap =>
    rest === 'w' ? { key: `${prefix}.weight`, kind: wKind } : { key: `${prefix}.bias`, kind: bKind };
  if ((m = name.match(/^rpn\.conv\.([wb])$/))) return wb('rpn.head.conv.0.0', m[1], 'conv');
  if ((m = name.match(/^rpn\.objectness\.([wb])$/))) return wb('rpn.head.cls_logits', m[1], 'conv');
  if ((m = name.match(/^rpn\.deltas\.([wb])$/))) return wb('rpn.head.bbox_pred', m[1], 'conv');
  if ((m = name.match(/^roi_heads\.box\.conv(\d+)\.(.+)$/))) return unit(`roi_heads.box_head.${+m[1] - 1}`, m[2]);
  const firstFc = config.roi.boxHeadFcs > 0 ? 'fc1' : 'cls';
  if ((m = name.match(/^roi_heads\.box\.fc(\d+)\.([wb])$/))) return wb(`roi_heads.box_head.${convs + 1 + 2 * (+m[1] - 1)}`, m[2], `fc${m[1]}` === firstFc ? 'fcFlat' : 'fc');
  if ((m = name.match(/^roi_heads\.box\.cls\.([wb])$/))) return wb('roi_heads.box_predictor.cls_score', m[1], firstFc === 'cls' ? 'fcFlat' : 'fc');
  if ((m = name.match(/^roi_heads\.box\.bbox\.([wb])$/))) return wb('roi_heads.box_predictor.bbox_pred', m[1], 'boxPredW', 'boxPredB');
  if ((m = name.match(/^roi_heads\.mask\.conv(\d+)\.(.+)$/))) return unit(`roi_heads.mask_head.${+m[1] - 1}`, m[2]);
  if ((m = name.match(/^roi_heads\.mask\.deconv\.([wb])$/))) return wb('roi_heads.mask_predictor.conv5_mask', m[1], 'deconv');
  if ((m = name.match(/^roi_heads\.mask\.predictor\.([wb])$/))) return wb('roi_heads.mask_predictor.mask_fcn_logits', m[1], 'maskPredW', 'maskPredB');
  throw new Error(`Error in torchvisionKey: unknown parameter ${name}`);
}

/** Torch shape of a Fieldwork tensor of `shape` under `kind`. */
function torchShape(shape: number[], kind: Kind): number[] {
  switch (kind) {
    case 'conv': return [shape[3], shape[2], shape[0], shape[1]];
    case 'deconv': return [shape[3], shape[2], shape[0], shape[1]];
    case 'fc': case 'fcFlat': return [shape[1], shape[0]];
    case 'boxPredW': return [shape[1] + 4, shape[0]];
    case 'boxPredB': return [shape[0] + 4];
    case 'maskPredW': return [shape[3] + 1, shape[2], 1, 1];
    case 'maskPredB': return [shape[0] + 1];
    default: return shape;
  }
}

/** Spatial side and channels of the map the first fc flattens (box pool size, its channels). */
function flatGeometry(config: RunConfig): { side: number; channels: number } {
  return { side: config.roi.boxPoolSize, channels: config.roi.boxHeadConvs > 0 ? config.roi.boxHeadConvChannels : config.fpnChannels };
}

/**
 * Converts one tensor. `toTorch` true: ours (shape `ours`) → torch; false: torch data → ours.
 * Index maps are written once as "torch index of our element i" and used both ways.
 */
function convert(data: Float32Array, ours: number[], kind: Kind, config: RunConfig, toTorch: boolean): Float32Array {
  const n = ours.reduce((a, b) => a * b, 1);
  const tsize = torchShape(ours, kind).reduce((a, b) => a * b, 1);
  const out = new Float32Array(toTorch ? tsize : n);
  const move = (i: number, t: number) => { if (toTorch) out[t] = data[i]; else out[i] = data[t]; };
  switch (kind) {
    case 'vector':
      out.set(data.subarray(0, n));
      return out;
    case 'conv': {
      const [kh, kw, cin, cout] = ours;
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
        move(((y * kw + x) * cin + i) * cout + o, ((o * cin + i) * kh + y) * kw + x);
      }
      return out;
    }
    case 'deconv': {
      const [kh, kw, co, ci] = ours;
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) {
        move(((y * kw + x) * co + o) * ci + i, ((i * co + o) * kh + y) * kw + x);
      }
      return out;
    }
    case 'fc': case 'fcFlat': case 'boxPredW': {
      const [din, dout] = ours;
      const { side, channels } = flatGeometry(config);
      const flat = kind === 'fcFlat';
      if (flat && din !== side * side * channels) throw new Error(`Error in convert: first fc has ${din} inputs, not ${side}²·${channels}`);
      const rowOffset = kind === 'boxPredW' ? 4 : 0;
      for (let r = 0; r < din; r++) {
        let col = r;
        if (flat) { const c = r % channels, hw = (r - c) / channels; col = c * side * side + hw; }
        for (let o = 0; o < dout; o++) move(r * dout + o, (o + rowOffset) * din + col);
      }
      return out;
    }
    case 'boxPredB':
      for (let i = 0; i < n; i++) move(i, i + 4);
      return out;
    case 'maskPredW': {
      const [, , c, k] = ours;
      for (let i = 0; i < c; i++) for (let o = 0; o < k; o++) move(i * k + o, (o + 1) * c + i);
      return out;
    }
    case 'maskPredB':
      for (let i = 0; i < n; i++) move(i, i + 1);
      return out;
  }
}

/** Our parameters (name → shape, data) as the torchvision state dict. */
export function toTorchvisionState(params: Map<string, NamedTensor>, config: RunConfig): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  for (const [name, t] of params) {
    const { key, kind } = torchvisionKey(name, config);
    out.set(key, { shape: torchShape(t.shape, kind), data: convert(t.data, t.shape, kind, config, true) });
  }
  return out;
}

/**
 * A torchvision state dict as our parameters, for a model whose parameter shapes are `expected`
 * (name → shape, from a MaskRcnn built for the run config and class count). Refuses, naming the first
 * difference, a state dict of another architecture or class count: missing or extra keys, other shapes.
 */
export function fromTorchvisionState(state: Map<string, NamedTensor>, expected: Map<string, number[]>, config: RunConfig): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  const used = new Set<string>();
  for (const [name, shape] of expected) {
    const { key, kind } = torchvisionKey(name, config);
    const t = state.get(key);
    if (!t) throw new UserError(`These weights are not of this run's architecture: ${key} is missing (Fieldwork parameter ${name}).`);
    const want = torchShape(shape, kind);
    if (t.shape.join() !== want.join()) {
      const classes = key.includes('cls_score') || key.includes('mask_fcn_logits') ? t.shape[0] - 1 : key.includes('bbox_pred') ? t.shape[0] / 4 - 1 : undefined;
      const hint = classes !== undefined ? ` (weights for ${classes} classes; this run has ${expectedClasses(expected)})` : '';
      throw new UserError(`These weights do not fit this run's model: ${key} has shape [${t.shape}], the model needs [${want}]${hint}.`);
    }
    out.set(name, { shape, data: convert(t.data, shape, kind, config, false) });
    used.add(key);
  }
  const extra = [...state.keys()].filter((k) => !used.has(k));
  if (extra.length) throw new UserError(`These weights are not of this run's architecture: ${extra.length} tensors the model does not have (first: ${extra[0]}).`);
  return out;
}

function expectedClasses(expected: Map<string, number[]>): number {
  return (expected.get('roi_heads.box.cls.b')?.[0] ?? 1) - 1;
}
