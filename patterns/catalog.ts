// The curriculum, in teaching order. The CLI, the site and the tests take lessons from here.
import type { Lesson } from './lesson.ts';
import declarativeDeployment from './01-declarative-deployment/steps.ts';
import sidecar from './02-sidecar/steps.ts';
import adapter from './03-adapter/steps.ts';
import ambassador from './04-ambassador/steps.ts';
import initContainer from './05-init-container/steps.ts';
import configurationTemplate from './06-configuration-template/steps.ts';
import serviceDiscovery from './07-service-discovery/steps.ts';
import controller from './08-controller/steps.ts';
import operator from './09-operator/steps.ts';
import k8sAsBackend from './10-k8s-as-backend/steps.ts';
import externalResource from './11-external-resource/steps.ts';
import clowdapp from './12-clowdapp/steps.ts';

export const lessons: Lesson[] = [
  declarativeDeployment,
  sidecar,
  adapter,
  ambassador,
  initContainer,
  configurationTemplate,
  serviceDiscovery,
  controller,
  operator,
  k8sAsBackend,
  externalResource,
  clowdapp,
];

export function findLesson(id: string): Lesson {
  const lesson = lessons.find((l) => l.id === id);
  if (!lesson) throw new Error(`unknown lesson "${id}"; the lessons are: ${lessons.map((l) => l.id).join(', ')}`);
  return lesson;
}
