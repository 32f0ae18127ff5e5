import { useStore } from '../../store/index.js';
import { LaunchPage } from './launch-page.js';
import { MissionList } from './mission-list.js';
import { MissionPage } from './mission-page.js';
import './missions.css';

export function MissionsPage() {
  const mission = useStore((s) => s.route.mission);
  if (mission === 'new') return <LaunchPage />;
  if (mission) return <MissionPage key={mission} id={mission} />;
  return <MissionList />;
}
