// The curriculum, in teaching order. The CLI, the site and the tests take lessons from here.
import type { Lesson } from './lesson.ts';
import declarativeDeployment from './01-declarative-deployment/steps.ts';

export const lessons: Lesson[] = [
  declarativeDeployment,
];

export function findLesson(id: string): Lesson {
  const lesson = lessons.find((l) => l.id === id);
  if (!lesson) throw new Error(`unknown lesson "${id}"; the lessons are: ${lessons.map((l) => l.id).join(', ')}`);
  return lesson;
}
