import { initBackend } from '../../src/core/backend-node';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});
