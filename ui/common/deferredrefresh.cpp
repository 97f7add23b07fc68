#include "ui/common/deferredrefresh.h"

#include <QEvent>
#include <QWidget>

namespace taskmoe::ui {

DeferredRefresh::DeferredRefresh(QWidget *widget, std::function<void()> refresh)
    : QObject(widget), m_widget(widget), m_refresh(std::move(refresh))
{
    widget->installEventFilter(this);
}

void DeferredRefresh::request()
{
    if (m_widget->isVisible() || !m_widget->window()->isVisible()) {
        m_pending = false;
        m_refresh();
    } else {
        m_pending = true;
    }
}

bool DeferredRefresh::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_widget && event->type() == QEvent::Show && m_pending) {
        m_pending = false;
        m_refresh();
    }
    return QObject::eventFilter(watched, event);
}

} // namespace taskmoe::ui
