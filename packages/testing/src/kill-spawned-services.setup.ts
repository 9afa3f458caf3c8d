// Set-up file of the projects whose tests start service processes: whatever a test file left
// running (a failed assertion before its own clean-up) is killed when the file ends.
import { afterAll } from 'vitest';
import { killSpawnedServices } from './spawn-service.ts';

afterAll(killSpawnedServices);
