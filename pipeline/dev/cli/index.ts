/** The development harness's command groups: the local stack, the sample sources, the demo, the bench, the chaos run and the poison corpus. */
import type { RegisterCommands } from '../../src/cli/index.ts';
import { register as registerBench } from './bench.ts';
import { register as registerChaos } from './chaos.ts';
import { register as registerDemo } from './demo.ts';
import { register as registerSample } from './sample.ts';
import { register as registerStack } from './stack.ts';
import { register as registerLoad } from './load.ts';
import { register as registerPoison } from './poison.ts';

export const harnessCommands: RegisterCommands[] = [registerStack, registerDemo, registerSample, registerLoad, registerBench, registerChaos, registerPoison];
