// The screens the app shows and their URL hashes (#/images/12), so a reload comes back to the same place.
export type Route =
  | { screen: 'home' }
  | { screen: 'project' }
  | { screen: 'annotate'; imageId: number }
  | { screen: 'train' }
  | { screen: 'run'; runId: string }
  | { screen: 'review'; runId: string | null };

export function parseHash(hash: string): Route {
  const image = /^#\/images\/(\d+)$/.exec(hash);
  if (image) return { screen: 'annotate', imageId: Number(image[1]) };
  const run = /^#\/runs\/([\w-]+)$/.exec(hash);
  if (run) return { screen: 'run', runId: run[1] };
  const review = /^#\/review(?:\/([\w-]+))?$/.exec(hash);
  if (review) return { screen: 'review', runId: review[1] ?? null };
  if (hash === '#/train') return { screen: 'train' };
  if (hash === '#/project') return { screen: 'project' };
  return { screen: 'home' };
}

export function routeHash(route: Route): string {
  switch (route.screen) {
    case 'annotate': return `#/images/${route.imageId}`;
    case 'run': return `#/runs/${route.runId}`;
    case 'review': return route.runId ? `#/review/${route.runId}` : '#/review';
    case 'train': return '#/train';
    case 'project': return '#/project';
    default: return '#/';
  }
}
