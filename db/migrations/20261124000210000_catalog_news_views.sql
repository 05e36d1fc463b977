-- Up Migration
-- Counting a view must not make a notice look edited: updated_at moves only when its content does.
DROP TRIGGER news_touch ON ticket.news;
CREATE TRIGGER news_touch BEFORE UPDATE ON ticket.news
  FOR EACH ROW
  WHEN ((OLD.title, OLD.content, OLD.author, OLD.is_pinned) IS DISTINCT FROM (NEW.title, NEW.content, NEW.author, NEW.is_pinned))
  EXECUTE FUNCTION public.tiketi_touch_updated_at();

-- Down Migration
DROP TRIGGER news_touch ON ticket.news;
CREATE TRIGGER news_touch BEFORE UPDATE ON ticket.news
  FOR EACH ROW EXECUTE FUNCTION public.tiketi_touch_updated_at();
