// The project screen's data in one read: the parts a refresh needs after a projectChanged event, so
// the renderer makes one call per refresh instead of one per panel.
import type { ProjectOverview, ProjectOverviewRequest } from '../api.ts';
import { listClasses } from './classes.ts';
import { UserError } from './errors.ts';
import { listImages } from './images.ts';
import { annotationOutlines } from './outlines.ts';
import type { Project } from './project.ts';
import { splitState } from './splits.ts';
import { datasetStats } from './stats.ts';

export function projectOverview(project: Project, request: ProjectOverviewRequest): ProjectOverview {
  if (typeof request !== 'object' || request === null) throw new UserError('Say which parts of the project overview to read.');
  const out: ProjectOverview = {};
  if (request.images) {
    out.images = listImages(project, request.images);
    out.outlines = annotationOutlines(project, out.images.filter((i) => i.annotationCount > 0).map((i) => i.id));
  }
  if (request.classes) out.classes = listClasses(project);
  if (request.stats) out.stats = datasetStats(project);
  if (request.splits) out.splits = splitState(project);
  return out;
}
