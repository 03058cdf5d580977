/**
 * The Gaussian VAE (browser-safe): model, reparameterization, KL, ELBO, IWAE, trainer,
 * what to do with a trained model, and toy data. Node-only parts are in `./node`.
 */
/** Encoder/decoder networks (MLP and conv) and their validated config. */
export * from './model';
/** z = mu + exp(0.5 logVar) * eps, the composite reference and the fused-kernel switch. */
export * from './reparameterize';
/** Analytic KL(q(z|x) || N(0, I)) per example, per dimension, and with free bits. */
export * from './kl';
/** Bernoulli and Gaussian log-likelihoods, the ELBO and the training objective. */
export * from './elbo';
/** The importance-weighted bound L_K (Burda et al. 2015). */
export * from './iwae';
/** VaeTrainer (Adam + trainLoop) and evaluateVae (-ELBO, -IWAE in nats). */
export * from './train';
/** Reconstructions, prior samples, latent grid, interpolation, per-dimension KL. */
export * from './uses';
/** Flat-array datasets, minibatch gathering, stochastic binarisation. */
export * from './dataset';
/** Seeded 2-D toy data: a ring of Gaussians and two moons. */
export * from './toy';
