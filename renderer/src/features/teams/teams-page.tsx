import './teams.css';
import './brief-phase.css';
import { useStore } from '../../store/index.js';
import { DesignEditor } from './design-editor.js';
import { DesignList } from './design-list.js';

export function TeamsPage() {
  const editing = useStore((s) => s.route.design !== undefined);
  return editing ? <DesignEditor /> : <DesignList />;
}
