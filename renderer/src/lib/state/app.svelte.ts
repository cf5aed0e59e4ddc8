// Top-level state: which screen is showing, the open project, and app-wide notices.
// The route lives in the URL hash (#/images/12) so a reload comes back to the same place.
import type { ProjectInfo, WorkbenchClient } from '../../../../electron/api.ts';
import { errorMessage } from '../api/errors.ts';
import { Notices } from './notices.svelte.ts';
import { ProjectState } from './project.svelte.ts';
import { AnnotateState } from '../annotate/annotate.svelte.ts';
import { RunsState } from './runs.svelte.ts';
import { ReviewState } from './review.svelte.ts';
import { parseHash, routeHash, type Route } from './route.ts';

export class AppState {
  readonly client: WorkbenchClient;
  readonly notices = new Notices();
  project = $state.raw<ProjectState | null>(null);
  /** The annotation screen's state for the open project (kept while the project is open: undo history lives here). */
  annotate = $state.raw<AnnotateState | null>(null);
  /** Training runs, live progress and learning curves of the open project. */
  runs = $state.raw<RunsState | null>(null);
  /** The review screen's state (kept while the project is open: the undo stack of decisions lives here). */
  review = $state.raw<ReviewState | null>(null);
  recent = $state.raw<string[]>([]);
  route = $state.raw<Route>({ screen: 'home' });
  starting = $state(true);
  busy = $state(false);

  constructor(client: WorkbenchClient) {
    this.client = client;
    // The token has done its job (the server set a cookie); keep it out of history and bookmarks.
    if (location.search.includes('token=')) history.replaceState(null, '', location.pathname + location.hash);
    window.addEventListener('hashchange', () => this.#followHash());
    void this.#start();
  }

  async #start(): Promise<void> {
    try {
      const [current, recent] = await Promise.all([this.client.projects.current(), this.client.projects.recent()]);
      this.recent = recent;
      if (current) await this.#adopt(current, false);
      this.#followHash();
    } catch (err) {
      this.notices.show(errorMessage(err), 'error');
    } finally {
      this.starting = false;
    }
  }

  #followHash(): void {
    const route = parseHash(location.hash);
    this.route = this.project ? (route.screen === 'home' ? { screen: 'project' } : route) : { screen: 'home' };
    this.#openRouteImage();
  }

  #openRouteImage(): void {
    const route = this.route;
    if (route.screen === 'annotate') void this.annotate?.open(route.imageId);
    if (route.screen === 'train') void this.runs?.enterTrain();
    if (route.screen === 'run') void this.runs?.watch(route.runId);
    if (route.screen === 'review') void this.review?.enter(route.runId);
  }

  navigate(route: Route): void {
    this.route = route;
    const hash = routeHash(route);
    if (location.hash !== hash) history.pushState(null, '', hash);
    this.#openRouteImage();
  }

  async #adopt(info: ProjectInfo, navigate = true): Promise<void> {
    this.project?.dispose();
    this.runs?.dispose();
    this.review?.dispose();
    const project = new ProjectState(info, this.client, this.notices);
    this.project = project;
    // The child states get the few things they call back for, not this object (no import cycle).
    const go = (route: Route) => this.navigate(route);
    const annotate = new AnnotateState(project, { notices: this.notices, navigate: go });
    const runs = new RunsState(this.client, this.notices);
    this.annotate = annotate;
    this.runs = runs;
    this.review = new ReviewState(project, {
      notices: this.notices,
      navigate: go,
      runs,
      editInAnnotator: (imageId, annotationId) => annotate.openFresh(imageId, annotationId),
    });
    await project.refreshAll();
    if (navigate) this.navigate({ screen: 'project' });
  }

  async createProject(dir: string, name: string): Promise<void> {
    if (!dir.trim()) return this.notices.show('Enter the folder for the new project.', 'warning');
    await this.#run(async () => {
      const info = await this.client.projects.create(dir.trim(), name.trim() || undefined);
      await this.#adopt(info);
      this.notices.show(`Created the project in ${info.dir}`);
    });
  }

  async openProject(dir: string): Promise<void> {
    if (!dir.trim()) return this.notices.show('Enter the folder of the project to open.', 'warning');
    await this.#run(async () => this.#adopt(await this.client.projects.open(dir.trim())));
  }

  async openDemo(): Promise<void> {
    await this.#run(async () => this.#adopt(await this.client.projects.openDemo()));
  }

  async closeProject(): Promise<void> {
    await this.#run(async () => {
      await this.client.projects.close();
      this.project?.dispose();
      this.runs?.dispose();
      this.review?.dispose();
      this.project = null;
      this.annotate = null;
      this.runs = null;
      this.review = null;
      this.recent = await this.client.projects.recent();
      this.navigate({ screen: 'home' });
    });
  }

  async #run(work: () => Promise<void>): Promise<void> {
    this.busy = true;
    try {
      await work();
    } catch (err) {
      this.notices.show(errorMessage(err), 'error');
    } finally {
      this.busy = false;
    }
  }
}
