import * as tf from '@tensorflow/tfjs';
import { Adam, MetricHistory, Params, Rng, init, makeSchedule, trainLoop } from '../../src';
import { readMetrics } from '../../src/core/train';

/** A two-layer MLP regression problem: y = sin(x . w*) learned from random inputs. */
function makeProblem(seed: number) {
  const rng = new Rng(seed);
  const params = new Params('mlp');
  params.add('W1', init.kaimingUniform(rng, [8, 32]));
  params.add('b1', init.zeros([32]));
  params.add('W2', init.xavierUniform(rng, [32, 1]));
  params.add('b2', init.zeros([1]));
  const x = rng.randomNormal([64, 8]);
  const wStar = rng.randomNormal([8, 1]);
  const y = tf.tidy(() => x.matMul(wStar).sin());
  const loss = () =>
    tf.tidy(() => {
      const h = tf.relu(x.matMul(params.get('W1')).add(params.get('b1')));
      const pred = h.matMul(params.get('W2')).add(params.get('b2'));
      return pred.sub(y).square().mean() as tf.Scalar;
    });
  const adam = new Adam(params.trainable(), {
    lr: makeSchedule({ lr: 1e-2, warmupSteps: 5, totalSteps: 200, decay: 'cosine' }),
    clipNorm: 5,
  });
  const step = () => {
    const { loss: value, grads } = params.gradients(loss);
    adam.step(grads);
    tf.dispose(grads);
    return { loss: value };
  };
  const dispose = () => {
    params.dispose();
    adam.dispose();
    tf.dispose([x, wStar, y]);
  };
  return { step, dispose };
}

describe('training loop', () => {
  test('no tensor leaks: numTensors after 200 steps equals numTensors after 10', async () => {
    const problem = makeProblem(1);
    const history = new MetricHistory();
    await trainLoop({ steps: 10, step: problem.step, logEvery: 5, history });
    const after10 = tf.memory().numTensors;
    await trainLoop({ steps: 190, step: problem.step, logEvery: 7, startStep: 10, history });
    expect(tf.memory().numTensors).toBe(after10);
    // The loss fell by a clear margin, and the history holds what was logged.
    const losses = history.series('loss');
    expect(losses[0].step).toBe(4);
    expect(losses[losses.length - 1].step).toBe(199);
    expect(history.last('loss')!).toBeLessThan(0.5 * losses[0].value);
    problem.dispose();
  });

  test('callbacks see every logged step; shouldStop ends the loop early', async () => {
    const problem = makeProblem(2);
    const seen: number[] = [];
    let ended = false;
    const history = await trainLoop({
      steps: 50,
      step: problem.step,
      logEvery: 10,
      shouldStop: () => seen.length >= 3,
      callbacks: {
        onLog: (s) => {
          seen.push(s);
        },
        onEnd: () => {
          ended = true;
        },
      },
    });
    expect(seen).toEqual([9, 19, 29]);
    expect(history.steps).toEqual([9, 19, 29]);
    expect(ended).toBe(true);
    problem.dispose();
  });

  test('the same seed gives the same losses', async () => {
    const run = async () => {
      const p = makeProblem(3);
      const h = await trainLoop({ steps: 20, step: p.step, logEvery: 5 });
      p.dispose();
      return h.series('loss').map((s) => s.value);
    };
    expect(await run()).toEqual(await run());
  });
});

test('readMetrics reads a tensor listed under two names once and disposes it', async () => {
  const t = tf.scalar(2.5);
  const before = tf.memory().numTensors;
  expect(await readMetrics({ loss: t, fvu: t, lr: 0.1 })).toEqual({ loss: 2.5, fvu: 2.5, lr: 0.1 });
  expect(t.isDisposed).toBe(true);
  expect(tf.memory().numTensors).toBe(before - 1);
});
